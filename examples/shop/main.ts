/**
 * The sample application's entry: places an order, then enqueues its confirmation e-mail, its invoice
 * and a daily brief, and waits for each. Run it against `npm start`:
 *
 *   CONVEYOR_ENDPOINT=http://localhost:3000 CONVEYOR_API_KEY=cvk_local_dev npx tsx examples/shop/main.ts
 */
import { conveyorFromEnv, shopJobs, type Deal, type Order, type ShopData, type User } from './jobs.js';

const ada: User = { id: 'u-1', name: 'Ada Lovelace', email: 'ada@example.com' };
const order: Order = {
  id: 'o-1042',
  number: '1042',
  placedOn: '2026-12-06',
  currency: 'GBP',
  customer: ada,
  lines: [
    { description: 'Analytical engine (kit)', quantity: 1, unitPrice: 249 },
    { description: 'Punched cards (box of 500)', quantity: 3, unitPrice: 12.5 },
  ],
};
const deal: Deal = { id: 'd-7', company: 'Babbage & Co', website: 'https://babbage.example.com', notes: 'Fast, reliable engines for developers. Customers love the clean design.' };
const data: ShopData = { user: (id) => (id === ada.id ? ada : undefined), order: (id) => (id === order.id ? order : undefined), deal: (id) => (id === deal.id ? deal : undefined) };

const conveyor = conveyorFromEnv(process.env);
const jobs = shopJobs(conveyor, data);

const email = await jobs.queueOrderConfirmationEmail(order.id, ada.id);
const invoice = await jobs.queueInvoicePdf(order);
const brief = await jobs.queueDailyBrief(deal.id);

const sent = await conveyor.wait(email, { timeoutMs: 60_000 });
console.log(`confirmation e-mail sent: ${sent.messageId}`);
const pdf = await conveyor.wait(invoice, { timeoutMs: 60_000 });
const download = (await conveyor.get(invoice)).download;
console.log(`invoice: ${pdf.pages} page(s), ${download?.url ?? 'no download'}`);
const analysis = await conveyor.wait(brief, { timeoutMs: 60_000, onProgress: (job) => console.log(`brief ${job.status} ${job.progress}%`) });
console.log(`daily brief: ${analysis.sentiment.label}, category ${analysis.category.name}`);
