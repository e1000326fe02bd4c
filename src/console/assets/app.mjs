import { authMode, getUser, hasKey, identify, isAdmin, rememberedUser, setUser, useKey } from './api.mjs';
import { focusHeading, h } from './dom.mjs';
import { fileView } from './file-view.mjs';
import { clearNotice, notify, notifyError } from './notice.mjs';
import { programView } from './program-view.mjs';
import { programsView } from './programs-view.mjs';
import { currentRoute, routeHref } from './routes.mjs';

// The console: a client of the public /v1 API, in plain modules with no build step. The URL's hash
// says what is shown (and, with AUTH_MODE=none, for whom), so every view can be bookmarked, shared
// and reloaded. Who the operator is comes from GET /v1/me: the user they pick (AUTH_MODE=none), the
// API key they enter (kept for this tab only), or the gateway in front of the service.

const main = document.getElementById('main');
const userForm = document.getElementById('user-form');
const userInput = document.getElementById('user-input');
const keyForm = document.getElementById('key-form');
const keyInput = document.getElementById('key-input');
const who = document.getElementById('who');
const whoUser = document.getElementById('who-user');
const whoAdmin = document.getElementById('who-admin');
const signOut = document.getElementById('sign-out');
const brand = document.getElementById('brand');
let view = null;
let firstRender = true;
/** Known once GET /v1/me has answered (or refused) */
let identified = false;

/** Asks the service who this is; false when it wants credentials it did not get. */
async function whoAmI() {
  try {
    await identify();
    identified = true;
    return true;
  } catch (e) {
    identified = authMode() !== null;
    if (e.status !== 401) notifyError('Asking the service who you are', e);
    return false;
  }
}

function showHeader() {
  const mode = authMode();
  userForm.hidden = mode !== 'none';
  keyForm.hidden = !(mode === 'api-key' && !getUser());
  who.hidden = mode === 'none' || !getUser();
  whoUser.textContent = getUser();
  whoAdmin.hidden = !isAdmin();
  signOut.hidden = mode !== 'api-key';
}

function render() {
  const route = currentRoute();
  // "#main" and other in-page anchors are not routes.
  if (!route || !identified) return;
  if (authMode() === 'none') {
    const fromUrl = route.params.get('user');
    if (fromUrl && fromUrl !== getUser()) setUser(fromUrl);
    if (!getUser()) setUser(rememberedUser());
    userInput.value = getUser();
  }
  showHeader();
  brand.href = routeHref([]);

  view?.dispose();
  view = null;
  document.title = 'Batch ingest console';
  if (!firstRender) clearNotice();
  const user = getUser();
  const [first, id, third, index] = route.segments;
  if (!user) {
    welcome();
  } else if (route.segments.length === 0) {
    view = programsView(main, route.params);
  } else if (first === 'programs' && id && route.segments.length === 2) {
    view = programView(main, id, route.params);
  } else if (
    first === 'programs' &&
    id &&
    third === 'files' &&
    /^\d+$/.test(index ?? '') &&
    route.segments.length === 4
  ) {
    view = fileView(main, id, index);
  } else {
    main.replaceChildren(
      h(
        'section',
        { class: 'view' },
        h('h1', null, 'Nothing here'),
        h(
          'p',
          null,
          'This address is not a page of the console. ',
          h('a', { href: routeHref([]) }, 'See the programs.'),
        ),
      ),
    );
  }
  // After a navigation, focus goes where the new content starts; on first load it stays put.
  if (!firstRender) focusHeading(main);
  firstRender = false;
}

function welcome() {
  const mode = authMode();
  const text =
    mode === 'api-key'
      ? [
          'Enter an API key above to see its user’s programs: their progress, what failed and why, ',
          'and retry or cancel them. An admin’s key also shows every user’s programs. ',
          'The key is kept in this tab only, until you sign out or close it.',
        ]
      : mode === 'trusted-header'
        ? [
            'The service takes your identity from the gateway in front of it, and this request came without ',
            'one. Open the console through the gateway.',
          ]
        : [
            'Enter a user ID above to see that user’s programs: their progress, what failed and why, ',
            'and retry or cancel them.',
          ];
  main.replaceChildren(
    h('section', { class: 'view welcome' }, h('h1', null, 'Batch ingest console'), h('p', null, ...text)),
  );
  if (mode === 'api-key') keyInput.focus();
  else if (mode === 'none') userInput.focus();
}

userForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const user = userInput.value.trim();
  if (!user) return;
  setUser(user);
  const target = routeHref([]);
  if (location.hash === target) render();
  else location.hash = target;
});

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) return;
  useKey(key);
  void (async () => {
    const ok = await whoAmI();
    keyInput.value = '';
    if (!ok) {
      useKey('');
      notify('error', 'The API key was not accepted.', 'It is unknown, mistyped or revoked.');
    } else {
      clearNotice();
    }
    firstRender = true;
    render();
  })();
});

signOut.addEventListener('click', () => {
  useKey('');
  void whoAmI().then(() => {
    location.hash = routeHref([]);
    render();
  });
});

// A key revoked (or a session ended at the gateway) while the page is open.
window.addEventListener('auth-lost', () => {
  if (!hasKey() && authMode() !== 'trusted-header') return;
  useKey('');
  void whoAmI().then(() => {
    view?.dispose();
    view = null;
    render();
    notify('error', 'The service no longer accepts your credentials.', 'Sign in again.');
  });
});

document.getElementById('skip-link').addEventListener('click', (event) => {
  // The hash belongs to the router; skipping to the content only moves focus.
  event.preventDefault();
  main.focus();
});

window.addEventListener('hashchange', render);
void whoAmI().then(render);
