#!/usr/bin/env node
// `npx awslocal <aws arguments>`: the machine's AWS CLI against the local endpoint (LocalStack's
// `awslocal`, which PyPI-less machines cannot install), with the test credentials and region.
import { spawn } from 'node:child_process';

const port = process.env.REPLOG_AWS_PORT?.trim() || '4566';
const endpoint = process.env.AWS_ENDPOINT_URL?.trim() || `http://localhost:${port}`;
const args = process.argv.slice(2);
const env = {
  ...process.env,
  // Never the caller's real credentials: this talks only to the local emulators.
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION?.trim() || 'us-east-1',
  AWS_REGION: process.env.AWS_DEFAULT_REGION?.trim() || 'us-east-1',
  AWS_PAGER: '',
};
delete env.AWS_PROFILE;
delete env.AWS_SESSION_TOKEN;

const aws = spawn('aws', ['--endpoint-url', endpoint, ...args], { stdio: 'inherit', env });
aws.on('error', (err) => {
  if (err.code === 'ENOENT') {
    process.stderr.write(
      'awslocal runs the AWS CLI (`aws`), which is not installed here.\n' +
        '  Debian/Ubuntu:  sudo apt-get install -y awscli\n' +
        '  other systems:  https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html\n' +
        `Then: npx awslocal ${args.join(' ') || 'sqs list-queues'}\n`,
    );
    process.exit(127);
  }
  process.stderr.write(`awslocal: could not run aws: ${err.message}\n`);
  process.exit(1);
});
aws.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  process.exit(code ?? 1);
});
