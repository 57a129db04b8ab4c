import { createHash, type Hash } from 'node:crypto';

/** One user (or system) message attribute, as the JSON protocol carries it. Binary values stay base64. */
export interface MessageAttributeValue {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
  readonly StringListValues?: readonly string[];
  readonly BinaryListValues?: readonly string[];
}

export type MessageAttributeMap = Readonly<Record<string, MessageAttributeValue>>;

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

// Transport type bytes of the AWS digest algorithm ("Calculating the MD5 message digest for message
// attributes", SQS Developer Guide): 1 = String/Number, 2 = Binary, 3/4 = the reserved list forms.
const STRING_TRANSPORT = 1;
const BINARY_TRANSPORT = 2;
const STRING_LIST_TRANSPORT = 3;
const BINARY_LIST_TRANSPORT = 4;

/**
 * MD5OfMessageAttributes exactly as SQS computes it: attributes sorted by name (UTF-16 code unit order,
 * which is what the Java reference implementation's TreeMap uses), each encoded as
 * len(name) name len(type) type transportByte len(value) value, lengths as 4-byte big-endian integers.
 */
export function md5OfMessageAttributes(attributes: MessageAttributeMap): string {
  const hash = createHash('md5');
  for (const name of Object.keys(attributes).sort()) {
    const attribute = attributes[name];
    if (!attribute) continue;
    updateWithLength(hash, Buffer.from(name, 'utf8'));
    updateWithLength(hash, Buffer.from(attribute.DataType, 'utf8'));
    if (attribute.StringValue !== undefined) {
      hash.update(Uint8Array.of(STRING_TRANSPORT));
      updateWithLength(hash, Buffer.from(attribute.StringValue, 'utf8'));
    } else if (attribute.BinaryValue !== undefined) {
      hash.update(Uint8Array.of(BINARY_TRANSPORT));
      updateWithLength(hash, Buffer.from(attribute.BinaryValue, 'base64'));
    } else if (attribute.StringListValues !== undefined) {
      hash.update(Uint8Array.of(STRING_LIST_TRANSPORT));
      for (const value of attribute.StringListValues) updateWithLength(hash, Buffer.from(value, 'utf8'));
    } else if (attribute.BinaryListValues !== undefined) {
      hash.update(Uint8Array.of(BINARY_LIST_TRANSPORT));
      for (const value of attribute.BinaryListValues) updateWithLength(hash, Buffer.from(value, 'base64'));
    }
  }
  return hash.digest('hex');
}

function updateWithLength(hash: Hash, bytes: Buffer): void {
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(bytes.length, 0);
  hash.update(length);
  hash.update(bytes);
}
