// Loads N events through the peer's own generated mutation, in the shape kg's benchmark
// uses: each event with 2 participants, reported by 3 outlets and denied by 1.
// Usage: node load.mjs URL N
const [url, n] = [process.argv[2], Number(process.argv[3])];
const post = async (query, variables) => {
  const answer = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  }).then((r) => r.json());
  if (answer.errors) throw new Error(JSON.stringify(answer.errors));
  return answer.data;
};
const outlets = ["Outlet A", "Outlet B", "Outlet C"];
await post(
  `mutation($input: [OutletCreateInput!]!) { createOutlets(input: $input) { info { nodesCreated } } }`,
  { input: [...outlets, "A ministry"].map((name) => ({ name })) },
);
const pad = (i) => String(i).padStart(4, "0");
const events = Array.from({ length: n }, (_, i) => ({
  title: `Meeting ${pad(i)}`,
  participants: { create: ["A", "B"].map((side) => ({ node: { name: `Person ${pad(i)} ${side}` } })) },
  reportedBy: { connect: [{ where: { node: { name: { in: outlets } } } }] },
  deniedBy: { connect: [{ where: { node: { name: { eq: "A ministry" } } } }] },
}));
const created = await post(
  `mutation($input: [EventCreateInput!]!) { createEvents(input: $input) { info { nodesCreated relationshipsCreated } } }`,
  { input: events },
);
console.log(JSON.stringify(created));
