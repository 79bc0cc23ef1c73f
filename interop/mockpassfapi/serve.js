'use strict'
// Starts the MockPass FAPI 2.0 peer (opengovsg/mockpass 8887619 + the PR #833
// userinfo overlay, unpacked by prepare.sh) for idconnect's interoperability
// tests. Usage: node serve.js <mockpass dir> [port]. Unlike MockPass's own
// index.js it listens on 127.0.0.1 only; port 0 (the default) lets the kernel
// choose a free one. Once listening it prints one line,
// "MOCKPASS_FAPI_LISTENING <port>", on stdout. It exits when its stdin
// closes, so it cannot outlive the test that started it. MockPass reads
// FAPI_CLIENT_JWKS_ENDPOINT (the relying party's JWKS URL) from the
// environment, and a .env file from the working directory (this directory,
// which has none).
const path = require('path')

const dir = process.argv[2]
if (!dir) {
  console.error('usage: node serve.js <mockpass dir> [port]')
  process.exit(2)
}
const { app } = require(path.resolve(dir, 'app'))

const port = Number(process.argv[3] || 0)
const server = app.listen(port, '127.0.0.1', () => {
  console.log(`MOCKPASS_FAPI_LISTENING ${server.address().port}`)
})
server.on('error', (err) => {
  console.error(`MockPass FAPI could not listen on 127.0.0.1:${port}: ${err.message}`)
  process.exit(1)
})
process.stdin.on('end', () => process.exit(0))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()
