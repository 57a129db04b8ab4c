import { Duration, Stack } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { CloudWatchDimensionSource, ConfigurationSet, EmailSendingEvent, EventDestination } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import type { StageSettings } from '../config/stages.js';

/** The dimension SES puts on the events it publishes: the configuration set's own name (SES tags every message with it). */
const DIMENSION = 'ses:configuration-set';

/**
 * The stage's SES configuration set: every e-mail the consumer sends names it
 * (`CONVEYOR_SES_CONFIGURATION_SET`), and SES publishes its sends, deliveries, bounces, complaints
 * and rejects to CloudWatch (`AWS/SES`, dimension `ses:configuration-set`) — the stage's bounce and
 * complaint rates, which SES itself watches before it pauses an account's sending.
 * https://docs.aws.amazon.com/ses/latest/dg/event-publishing-add-event-destination-cloudwatch.html
 */
export class EmailSending extends Construct {
  readonly configurationSet: ConfigurationSet;
  readonly configurationSetName: string;

  constructor(scope: Construct, id: string, props: { readonly settings: StageSettings }) {
    super(scope, id);
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', { configurationSetName: `conveyor-${props.settings.stage}` });
    // The reference (not the plain name): functions that name the set deploy after it exists.
    this.configurationSetName = this.configurationSet.configurationSetName;
    this.configurationSet.addEventDestination('CloudWatch', {
      destination: EventDestination.cloudWatchDimensions([{ name: DIMENSION, source: CloudWatchDimensionSource.MESSAGE_TAG, defaultValue: 'none' }]),
      events: [EmailSendingEvent.SEND, EmailSendingEvent.DELIVERY, EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT, EmailSendingEvent.REJECT],
    });
  }

  /** The configuration set's ARN (an SES v2 SendEmail naming it is authorised on it too). */
  get configurationSetArn(): string {
    return Stack.of(this).formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.configurationSetName });
  }

  /** Events SES published for this configuration set (Sum): `Send`, `Delivery`, `Bounce`, `Complaint`, `Reject`. */
  metric(event: 'Send' | 'Delivery' | 'Bounce' | 'Complaint' | 'Reject', period: Duration = Duration.hours(1)): Metric {
    return new Metric({ namespace: 'AWS/SES', metricName: event, dimensionsMap: { [DIMENSION]: this.configurationSetName }, statistic: 'Sum', period });
  }
}
