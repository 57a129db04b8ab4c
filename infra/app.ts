import { App } from 'aws-cdk-lib';
import { STAGE_CONTEXT_KEYS, stageSettings, type StageContext } from './config/stages.js';
import { addConveyorStage } from './conveyor.js';

/**
 * The CDK app: `npx cdk deploy --all -c stage=prod -c emailSender=… -c alarmEmail=…`. The stage and
 * its options come from context (`infra/config/stages.ts` lists them; `dev` when absent); account
 * and region from the usual CDK environment (profile, AWS_REGION…), or none at all for an offline
 * `cdk synth`.
 */
const app = new App();
const context = (key: keyof StageContext | 'stage'): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};

const settings = stageSettings(context('stage') ?? 'dev', Object.fromEntries(STAGE_CONTEXT_KEYS.map((key) => [key, context(key)]).filter(([, value]) => value !== undefined)) as StageContext);
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
addConveyorStage(app, { settings, ...(account && region ? { env: { account, region } } : {}) });
app.synth();
