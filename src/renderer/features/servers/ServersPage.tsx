export function ServersPage() {
  return (
    <section>
      <h1>Servers</h1>
      <div className="empty-state">
        <p>No servers yet.</p>
      </div>
    </section>
  );
}
