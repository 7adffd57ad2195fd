// The browser's id for Past conversations (ui/past_conversations.py). `data` = {name, id, days, run}: the cookie's
// name, the id this session uses, how long to keep it. Sets the cookie when the browser has none; reports the id it
// has when that is another one (a tab opened at the same time set it first), so the session adopts it.
export default function ({ data, setStateValue }) {
  const prefix = `${data.name}=`;
  const found = document.cookie.split("; ").find((c) => c.startsWith(prefix));
  const held = found ? found.slice(prefix.length) : "";
  if (!/^[0-9a-f]{32}$/.test(held)) {
    document.cookie = `${prefix}${data.id};path=/;max-age=${data.days * 86400};SameSite=Strict`;
  } else if (held !== data.id) {
    setStateValue("id", held);
  }
}
