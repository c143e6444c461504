// Preloaded (`node -r`) by bench/instructions.mjs into a proxy running under valgrind, where one
// loop turn can take seconds: node:http's keep-alive, headers and request timeouts would then cut
// connections whose next request is already waiting. They are held at 10 minutes; the timers are
// still armed per request as usual, so the code measured is the same.
const http = require('node:http')
const https = require('node:https')
for (const proto of [http.Server.prototype, https.Server.prototype]) {
  for (const name of ['keepAliveTimeout', 'headersTimeout', 'requestTimeout']) {
    Object.defineProperty(proto, name, { configurable: true, get: () => 600_000, set: () => {} })
  }
}
