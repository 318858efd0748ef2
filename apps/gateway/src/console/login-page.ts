// The console's login form: plain HTML, no script, posted to /console/login. The only page
// served without a session.

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** The login page, with `message` (a refusal) above the form when given. */
export function loginPage(message?: string): string {
  const alert = message ? `<p class="alert" role="alert">${escape(message)}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Alto console: log in</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/app.css">
</head>
<body class="login">
<main>
<h1>Alto console</h1>
${alert}
<form method="post" action="/console/login">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>
<p class="hint">Use one of the publisher's admin tokens (ALTO_ADMIN_TOKEN or ALTO_ADMIN_TOKENS).
A read-only token shows everything and changes nothing.</p>
</main>
</body>
</html>
`;
}
