// An export task's progress as it happens: the exportTaskUpdated subscription over WebSocket (graphql-transport-ws,
// through the graphql-ws client the server serves with GraphiQL's assets), and polling exportTask only when the
// socket cannot be used (refused, dropped, or the client script missing).
import { apiKey, gql } from "./api.js";
import { TASK, TASK_UPDATES } from "./queries.js";

const ENDED = new Set(["COMPLETE", "FAILED", "CANCELED"]);
const POLL_MS = 400;

const socketUrl = () => `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`;

// Updates over the subscription until the task ends: resolves with the final state, or with null when the socket
// failed first (`onUpdate` may have seen some states); GraphQL errors (an unknown task, ...) reject.
function subscribe(id, onUpdate) {
  const graphqlWs = window.graphqlWs;
  if (!graphqlWs) return Promise.resolve(null);
  const key = apiKey();
  const client = graphqlWs.createClient({
    url: socketUrl(),
    connectionParams: key ? { Authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
  });
  return new Promise((resolve, reject) => {
    let last = null;
    const end = (settle, value) => {
      client.dispose();
      settle(value);
    };
    client.subscribe({ query: TASK_UPDATES, variables: { id } }, {
      next: ({ data, errors }) => {
        if (errors && errors.length) return end(reject, new Error(errors[0].message));
        last = data.exportTaskUpdated;
        onUpdate(last, "subscription");
      },
      error: (error) => (Array.isArray(error) ? end(reject, new Error(error[0].message)) : end(resolve, null)),
      complete: () => end(resolve, last && ENDED.has(last.status) ? last : null),
    });
  });
}

async function poll(id, onUpdate) {
  for (;;) {
    const task = (await gql(TASK, { id })).exportTask;
    onUpdate(task, "polling");
    if (ENDED.has(task.status)) return task;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// Follow task `id` to its end: `onUpdate(task, via)` for each state, `via` "subscription" or "polling".
export async function follow(id, onUpdate) {
  return (await subscribe(id, onUpdate)) || poll(id, onUpdate);
}
