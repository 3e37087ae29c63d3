/**
 * An S3Mailbox on a fresh local Ceph radosgw (see ceph.ts), for tests and the benchmark
 * harness. Throws with the install command if Ceph is missing; callers that want to skip
 * can check cephUnavailableReason() first.
 */
import { randomBytes } from "node:crypto";
import { S3Client, CreateBucketCommand } from "@aws-sdk/client-s3";
import type { MailboxBackend } from "../src/mailbox/backend.js";
import { S3Mailbox } from "../src/mailbox/s3.js";
import { cephUnavailableReason, startCeph, type CephCluster } from "./ceph.js";

export { cephUnavailableReason };

/** A raw client for the cluster's user, for tests that play the part of a hostile store. */
export function rawS3Client(cluster: CephCluster): S3Client {
  return new S3Client({
    endpoint: cluster.endpoint,
    region: cluster.region,
    forcePathStyle: true,
    credentials: cluster.credentials,
    maxAttempts: 1,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export async function createBucket(cluster: CephCluster, bucket: string): Promise<void> {
  const client = rawS3Client(cluster);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

export function randomNamespace(): string {
  return randomBytes(16).toString("hex");
}

export async function startS3MailboxForBench(
  options: { maxBundleBytes?: number } = {},
): Promise<{ backend: MailboxBackend; cluster: CephCluster; close(): Promise<void> }> {
  const reason = cephUnavailableReason();
  if (reason !== undefined) throw new Error(reason);
  const cluster = await startCeph();
  try {
    await createBucket(cluster, "airlock-bench");
    const backend = new S3Mailbox({
      endpoint: cluster.endpoint,
      bucket: "airlock-bench",
      region: cluster.region,
      credentials: cluster.credentials,
      namespace: randomNamespace(),
      ...(options.maxBundleBytes === undefined ? {} : { maxBundleBytes: options.maxBundleBytes }),
    });
    return {
      backend,
      cluster,
      close: async () => {
        backend.close();
        await cluster.stop();
      },
    };
  } catch (e) {
    await cluster.stop();
    throw e;
  }
}
