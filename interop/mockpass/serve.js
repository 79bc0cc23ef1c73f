'use strict'
// Starts MockPass (@opengovsg/mockpass, pinned in package.json) for
// idconnect's interoperability tests. Unlike the package's own index.js, it
// listens on 127.0.0.1 only. The port is argv[2]; 0 (the default) lets the
// kernel choose a free one. Once listening it prints one line,
// "MOCKPASS_LISTENING <port>", on stdout. It exits when its stdin closes, so
// it cannot outlive the test that started it. MockPass reads its settings
// (SERVICE_PROVIDER_MYINFO_SECRET, ENCRYPT_MYINFO, …) from the environment.
const { app } = require('@opengovsg/mockpass/app')

const port = Number(process.argv[2] || 0)
const server = app.listen(port, '127.0.0.1', () => {
  console.log(`MOCKPASS_LISTENING ${server.address().port}`)
})
server.on('error', (err) => {
  console.error(`MockPass could not listen on 127.0.0.1:${port}: ${err.message}`)
  process.exit(1)
})
process.stdin.on('end', () => process.exit(0))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()
