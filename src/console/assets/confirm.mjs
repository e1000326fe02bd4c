// A question before an action that cannot be undone, in the page's own modal <dialog> (keyboard:
// focus moves into it, Escape keeps things as they were), never window.confirm.

export function confirmAction({ title, text, yes, no }) {
  const dialog = document.getElementById('confirm');
  const opener = document.activeElement;
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-yes').textContent = yes;
  document.getElementById('confirm-no').textContent = no;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        if (opener instanceof HTMLElement) opener.focus();
        resolve(dialog.returnValue === 'ok');
      },
      { once: true },
    );
    dialog.showModal();
  });
}
