// Human-readable durations as apimachinery's duration.HumanDuration prints them (the AGE column).
// The precision deliberately drops as the duration grows so columns stay narrow.

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

/** `12s`, `8m55s`, `5h10m`, `2d3h`, `400d`, `3y20d`; `<invalid>` for clearly negative input. */
export function humanDuration(ms: number): string {
  // Go truncates toward zero, so -1.9s still counts as -1s.
  const seconds = Math.trunc(ms / 1000);
  // Up to a second of clock skew between machines is treated as "now".
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 2 * MINUTE) return `${seconds}s`;
  const minutes = Math.floor(seconds / MINUTE);
  if (minutes < 10) return withRemainder(minutes, 'm', seconds % MINUTE, 's');
  if (minutes < 3 * 60) return `${minutes}m`;
  const hours = Math.floor(seconds / HOUR);
  if (hours < 8) return withRemainder(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(seconds / DAY);
  if (hours < 8 * 24) return withRemainder(days, 'd', hours % 24, 'h');
  if (hours < 2 * 365 * 24) return `${days}d`;
  const years = Math.floor(seconds / YEAR);
  if (hours < 8 * 365 * 24) return withRemainder(years, 'y', days % 365, 'd');
  return `${years}y`;
}

/** A zero remainder is left out: `3h`, not `3h0m`. */
function withRemainder(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major}${majorUnit}` : `${major}${majorUnit}${minor}${minorUnit}`;
}
