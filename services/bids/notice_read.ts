/** A bid notice as the alert its organization's screens show: the bid read back, then worded (notice.ts). */
import type { Queryable } from "../../db/database.ts";
import type { AlertInput } from "../realtime/protocol.ts";
import { noticeLevel, noticeText } from "./notice.ts";
import type { BidNotice } from "./service.ts";
import { getBid } from "./store.ts";

export async function noticeAlert(q: Queryable, n: BidNotice): Promise<AlertInput> {
  const bid = await getBid(q, n.orgId, n.bidId);
  // The event's status, not the row's: a bid may have settled since it cleared, and each event has its toast.
  const { title, message } = noticeText({ ...bid, status: n.status });
  // Alerts cross instances through a bus that refuses titles over 200 characters; asset names go to 120.
  return { level: noticeLevel(n.status), title: title.slice(0, 160), message };
}
