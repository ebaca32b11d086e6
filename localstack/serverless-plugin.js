'use strict';
// serverless.yml registers this file as a plugin. The local system is written in TypeScript and
// run through tsx's CommonJS hook (a devDependency), which also lets serverless-offline load the
// functions from their .ts sources.
// Node 20 is supported by the pinned SDK; its notice about 2027 releases is noise on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs/api').register();
module.exports = require('./plugin.ts').ReplogLocalCloud;
