/** SQL fragments shared by the stores. */

/** A timestamptz column as an ISO-8601 UTC string (`2025-01-01T00:00:00.000Z`), the API's time format. */
export const isoUtc = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
