'use strict';
// serverless.yml registers this file as a plugin: the local system (localstack/plugin.ts) for
// `serverless offline`. It is written in TypeScript and run through tsx's CommonJS hook (a
// devDependency), which also lets serverless-offline load the functions from their .ts sources;
// other commands (package, deploy, print) load none of it.
class ReplogLocalCloudEntry {
  constructor(serverless, options, utils) {
    this.hooks = {};
    if (serverless.processedInput?.commands?.[0] !== 'offline') return;
    // Node 20 is supported by the pinned SDK; its notice about 2027 releases is noise on every start.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    require('tsx/cjs/api').register();
    const { ReplogLocalCloud } = require('./plugin.ts');
    const plugin = new ReplogLocalCloud(serverless, options, utils);
    this.hooks = plugin.hooks;
  }
}

module.exports = ReplogLocalCloudEntry;
