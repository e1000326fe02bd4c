import { authMode, getUser } from './api.mjs';

// Hash routes: #/ (programs), #/programs/<id>, #/programs/<id>/files/<index>, each with a query
// after "?" that carries the user with AUTH_MODE=none (so a copied link opens the same view; with a
// real identity the key or the gateway says who it is) and a view's filters.

/** The current route: path segments and query parameters; null when the hash is not a route. */
export function currentRoute() {
  const raw = location.hash.slice(1);
  if (raw !== '' && !raw.startsWith('/')) return null;
  const [path, query = ''] = (raw || '/').split('?');
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  return { segments, params: new URLSearchParams(query) };
}

/** "#/programs/p1?user=alice&stage=…": the user first, then the view's own parameters. */
export function routeHref(segments, params = {}) {
  const path = `/${segments.map((p) => encodeURIComponent(String(p))).join('/')}`;
  const query = new URLSearchParams();
  if (authMode() === 'none' && getUser()) query.set('user', getUser());
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') query.set(k, String(v));
  }
  const qs = query.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}

/** Records a view's filters in the URL without a new history entry and without re-rendering. */
export function replaceRoute(segments, params) {
  history.replaceState(history.state, '', routeHref(segments, params));
}

const LIST_STORAGE = 'batch-ingest.list';

/**
 * The programs list as last shown (its status filter, and whether of every user), kept for the tab
 * so that "All programs" from a program or a file goes back to that list, not to the user's own.
 */
export function rememberList({ status, all }) {
  try {
    sessionStorage.setItem(LIST_STORAGE, JSON.stringify({ status, all }));
  } catch {
    // Storage refused (a private window's quota): the link goes to the user's own list.
  }
}

/** The link back to the programs list as last shown. */
export function listHref() {
  let params = {};
  try {
    const kept = JSON.parse(sessionStorage.getItem(LIST_STORAGE) ?? '{}');
    params = { status: kept.status, all: kept.all };
  } catch {
    // Nothing kept, or not ours: the user's own list.
  }
  return routeHref([], params);
}
