package server

import "html/template"

const pageHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{block "title" .}}idconnect{{end}}</title>
<style nonce="{{.Nonce}}">body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
.notice{background:#fff3cd;border:1px solid #e0c36a;padding:.5rem 1rem;border-radius:4px}</style>
</head>
<body>
{{if .Notice}}<p class="notice" role="status">{{.Notice}}</p>{{end}}
`

// callbackPage is the seed's callback page: it shows the code and forwards
// it to the person route. The code reaches the script as a JSON string, so
// no value can break out of it.
var callbackPage = template.Must(template.New("callback").Parse(pageHead + `<span>Callback from Myinfo. Wait for calling person data API</span>
<span id="code-container">{{.Data.Code}}</span>
<noscript><p><a href="/users/me/external/myinfo?code={{.Data.Code}}">Continue</a></p></noscript>
<script nonce="{{.Nonce}}">
window.addEventListener('load', function () {
  window.location.href = '/users/me/external/myinfo?code=' + encodeURIComponent({{.Data.Code}});
});
</script>
</body>
</html>
`))

// deniedPage answers a callback whose person declined.
var deniedPage = template.Must(template.New("denied").Parse(pageHead + `<h1>No data was shared</h1>
<p>You chose not to share your Myinfo data, so nothing was retrieved. You can close this page,
or <a href="/">start again</a> if that was a mistake.</p>
</body>
</html>
`))

// homePage is the demo page: one button that starts the seed flow.
var homePage = template.Must(template.New("home").Parse(pageHead + `<h1>idconnect</h1>
<p>Verified person data, with the person's consent, from Singpass Myinfo.</p>
<p><button id="start" type="button">Retrieve Myinfo with Singpass</button></p>
<pre id="out"></pre>
<script nonce="{{.Nonce}}">
document.getElementById('start').addEventListener('click', async function () {
  const res = await fetch('/users/me/external/myinfo-redirect-login', {credentials: 'same-origin'});
  const body = await res.json();
  if (res.ok) { window.location.href = body.data.url; }
  else { document.getElementById('out').textContent = JSON.stringify(body, null, 2); }
});
</script>
</body>
</html>
`))
