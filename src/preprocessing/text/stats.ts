export interface TextStats {
  characters: number;
  words: number;
}

export function textStats(text: string): TextStats {
  let characters = 0;
  for (const _ of text) characters++;
  return { characters, words: text.match(/\S+/g)?.length ?? 0 };
}
