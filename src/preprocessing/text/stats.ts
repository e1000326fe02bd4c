export interface TextStats {
  characters: number;
  words: number;
}

export function textStats(text: string): TextStats {
  let characters = 0;
  for (const _ of text) characters++;
  // Counted match by match: `match(/\S+/g)` would build an array holding every word of the text.
  const word = /\S+/g;
  let words = 0;
  while (word.exec(text) !== null) words++;
  return { characters, words };
}
