/**
 * How an application wraps Conveyor: one typed helper per job it enqueues, the way teams write
 * `queueX(...)` helpers around BullMQ's `queue.add(name, data)`. The payload types come from the
 * job registry; a wrong field here is a compile error, not a failed job at 3 a.m.
 */
import { createClient, type ConveyorClient, type JobId } from 'conveyor/client';

export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string;
}

export interface Order {
  readonly id: string;
  readonly number: string;
  readonly placedOn: string; // YYYY-MM-DD
  readonly currency: string;
  readonly customer: User;
  readonly lines: readonly { readonly description: string; readonly quantity: number; readonly unitPrice: number }[];
}

export interface Deal {
  readonly id: string;
  readonly company: string;
  readonly website: string;
  readonly notes: string;
}

/** Where the application keeps its records; the helpers only read them. */
export interface ShopData {
  user(id: string): User | undefined;
  order(id: string): Order | undefined;
  deal(id: string): Deal | undefined;
}

export interface ShopJobs {
  queueOrderConfirmationEmail(orderId: string, userId: string): Promise<JobId<'email'>>;
  queueInvoicePdf(order: Order): Promise<JobId<'pdf'>>;
  queueDailyBrief(dealId: string): Promise<JobId<'analysis'>>;
}

export function shopJobs(conveyor: ConveyorClient, data: ShopData, appUrl = 'https://shop.example.com'): ShopJobs {
  const must = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} not found`);
    return value;
  };
  return {
    async queueOrderConfirmationEmail(orderId, userId) {
      const order = must(data.order(orderId), `order ${orderId}`);
      const user = must(data.user(userId), `user ${userId}`);
      // The idempotency key makes a double click, or a retry after a timeout, send one e-mail.
      const { jobId } = await conveyor.enqueue(
        'email',
        {
          template: 'job-completed',
          to: [user.email],
          subject: `Order ${order.number} confirmed`,
          data: { name: user.name, jobName: `Order ${order.number}`, jobId: order.id, outcome: 'succeeded', resultUrl: `${appUrl}/orders/${order.id}`, summary: order.lines.map((l) => `${l.quantity} × ${l.description}`).join('\n') },
        },
        { idempotencyKey: `order-confirmation:${order.id}` },
      );
      return jobId;
    },

    async queueInvoicePdf(order) {
      const { jobId } = await conveyor.enqueue(
        'pdf',
        {
          kind: 'invoice',
          data: {
            invoiceNumber: `INV-${order.number}`,
            issueDate: order.placedOn,
            currency: order.currency,
            seller: { name: 'Example Shop Ltd', address: ['1 Market Street', 'London'] },
            buyer: { name: order.customer.name },
            items: order.lines.map((line) => ({ ...line })),
            taxRatePercent: 20,
          },
        },
        { idempotencyKey: `invoice:${order.id}` },
      );
      return jobId;
    },

    async queueDailyBrief(dealId) {
      // An analysis job for now; a team would give the brief its own type with `npm run new-job`.
      const deal = must(data.deal(dealId), `deal ${dealId}`);
      const { jobId } = await conveyor.enqueue('analysis', { toolId: deal.id, url: deal.website, description: `${deal.company}. ${deal.notes}` });
      return jobId;
    },
  };
}

/** The application's one client, from its configuration. */
export function conveyorFromEnv(env: Record<string, string | undefined>): ConveyorClient {
  return createClient({ endpoint: env.CONVEYOR_ENDPOINT ?? 'http://localhost:3000', apiKey: env.CONVEYOR_API_KEY ?? 'cvk_local_dev' });
}
