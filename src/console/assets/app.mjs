import { getUser, rememberedUser, setUser } from './api.mjs';
import { focusHeading, h } from './dom.mjs';
import { fileView } from './file-view.mjs';
import { clearNotice } from './notice.mjs';
import { programView } from './program-view.mjs';
import { programsView } from './programs-view.mjs';
import { currentRoute, routeHref } from './routes.mjs';

// The console: a client of the public /v1 API, in plain modules with no build step. The URL's hash
// says what is shown (and for whom), so every view can be bookmarked, shared and reloaded.

const main = document.getElementById('main');
const userForm = document.getElementById('user-form');
const userInput = document.getElementById('user-input');
const brand = document.getElementById('brand');
let view = null;
let firstRender = true;

function render() {
  const route = currentRoute();
  // "#main" and other in-page anchors are not routes.
  if (!route) return;
  const fromUrl = route.params.get('user');
  if (fromUrl && fromUrl !== getUser()) setUser(fromUrl);
  if (!getUser()) setUser(rememberedUser());
  userInput.value = getUser();
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
  main.replaceChildren(
    h(
      'section',
      { class: 'view welcome' },
      h('h1', null, 'Batch ingest console'),
      h(
        'p',
        null,
        'Enter a user ID above to see that user’s programs: their progress, what failed and why, ',
        'and retry or cancel them.',
      ),
    ),
  );
  userInput.focus();
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

document.getElementById('skip-link').addEventListener('click', (event) => {
  // The hash belongs to the router; skipping to the content only moves focus.
  event.preventDefault();
  main.focus();
});

window.addEventListener('hashchange', render);
render();
