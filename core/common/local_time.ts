// Times written as RocketMQ's Java side writes them, in this machine's time zone (as a JVM does
// with its default zone): index file names (yyyyMMddHHmmssSSS) and the readable dates of admin
// answers (UtilAll.formatDate with yyyy-MM-dd HH:mm:ss,SSS).

function parts(ms: number) {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return {
    date: [String(d.getFullYear()).padStart(4, "0"), two(d.getMonth() + 1), two(d.getDate())],
    time: [two(d.getHours()), two(d.getMinutes()), two(d.getSeconds())],
    millis: String(d.getMilliseconds()).padStart(3, "0"),
  };
}

/** yyyyMMddHHmmssSSS: the name of an index file created at `ms`. */
export function compactLocalTime(ms: number): string {
  const { date, time, millis } = parts(ms);
  return `${date.join("")}${time.join("")}${millis}`;
}

/** yyyy-MM-dd HH:mm:ss,SSS (UtilAll.YYYY_MM_DD_HH_MM_SS_SSS). */
export function readableLocalTime(ms: number): string {
  const { date, time, millis } = parts(ms);
  return `${date.join("-")} ${time.join(":")},${millis}`;
}
