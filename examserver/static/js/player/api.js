/* Requests to the delivery API: JSON both ways, the CSRF token on every request with a body, a
   timeout, and each answer handed to onAnswer(data, started, ended) (the clock and the proctor's
   messages ride on every answer). */

export function createApi(base, csrf, onAnswer) {
  return async function api(method, path, body, timeout) {
    const options = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body) {
      options.headers['Content-Type'] = 'application/json';
      options.headers['X-CSRFToken'] = csrf;
      options.body = JSON.stringify(body);
    }
    const abort = typeof AbortController === 'function' ? new AbortController() : null;
    if (abort) options.signal = abort.signal;
    const timer = setTimeout(() => abort && abort.abort(), timeout || 20000);
    const started = Date.now();
    try {
      const response = await fetch(base + path, options);
      let data = {};
      try { data = await response.json(); } catch (e) { data = {}; }
      if (onAnswer) onAnswer(data, started, Date.now());
      return { status: response.status, ok: response.ok, data: data };
    } finally {
      clearTimeout(timer);
    }
  };
}
