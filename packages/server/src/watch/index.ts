export { type ConfigWatcher, pemFilesOf, type WatchOptions, type WatchReport, watchConfig } from './watch.js'
