// The browser's id for Past conversations (ui/past_conversations.py). `data` = {name, id, days}: the cookie's name,
// the id this session uses, how long to keep it. Sets the cookie when the browser has none; reports the id it
// holds when that is another one (a tab opened at the same time set it first), so the session adopts it. Two
// tabs can both find no cookie and both write theirs: each looks again a moment later, and the one whose write
// was replaced reports the id that stayed.
export default function ({ data, setStateValue }) {
  const prefix = `${data.name}=`;
  const held = () => {
    const found = document.cookie.split("; ").find((c) => c.startsWith(prefix));
    const id = found ? found.slice(prefix.length) : "";
    return /^[0-9a-f]{32}$/.test(id) ? id : "";
  };
  const report = () => {
    const id = held();
    if (id && id !== data.id) setStateValue("id", id);
  };
  if (held()) {
    report();
  } else {
    document.cookie = `${prefix}${data.id};path=/;max-age=${data.days * 86400};SameSite=Strict`;
    setTimeout(report, 1000);
  }
}
