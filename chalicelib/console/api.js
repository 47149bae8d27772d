// The API client: same origin, bearer token from the tab's session storage
// (never a cookie), problem+json errors as `Problem`, a 401 back to sign-in.

const TOKEN_KEY = 'hewei.token';
const ME_KEY = 'hewei.me';

export const apiBase = new URL('../', document.baseURI);

export class Problem extends Error {
  constructor(status, body) {
    const detail = body && typeof body === 'object' ? body.detail : String(body || '');
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.title = body && body.title ? body.title : `HTTP ${status}`;
    this.detail = detail;
    this.errors = (body && body.errors) || [];
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function me() {
  const text = sessionStorage.getItem(ME_KEY);
  return text ? JSON.parse(text) : null;
}

export async function signIn(bearer) {
  sessionStorage.setItem(TOKEN_KEY, bearer);
  try {
    const who = await api('v1/me');
    sessionStorage.setItem(ME_KEY, JSON.stringify(who));
    return who;
  } catch (error) {
    signOut();
    throw error;
  }
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ME_KEY);
}

export async function api(path, { method = 'GET', body, query, anonymous = false } = {}) {
  const url = new URL(path.replace(/^\//, ''), apiBase);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  const headers = { Accept: 'application/json' };
  const bearer = token();
  if (bearer && !anonymous) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(url, {
    method, headers, credentials: 'omit', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json() : await response.text();
  if (response.status === 401 && !anonymous) {
    signOut();
    if (location.hash !== '#/sign-in') location.hash = '#/sign-in';
  }
  if (!response.ok) throw new Problem(response.status, data);
  return data;
}

// Documents fetched once per tab; a failed fetch is forgotten, so the next use tries again.
const once = {};
function fetchedOnce(path) {
  once[path] = once[path] || api(path, { anonymous: true }).catch((error) => { delete once[path]; throw error; });
  return once[path];
}

export function meta() {
  return fetchedOnce('v1/meta');
}

export function openapi() {
  return fetchedOnce('openapi.json');
}
