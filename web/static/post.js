// POST JSON with the page's CSRF token; an error answer becomes an Error with the server's message.
// Shared by the desktop and the board.
window.postJson = async function postJson(url, body) {
  const resp = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": window.CSRF_TOKEN },
    body: JSON.stringify(body || {}),
    credentials: "same-origin",
  });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) { throw new Error((data.error && data.error.message) || resp.statusText); }
  return data;
};
