/** A section whose feature is not in this build yet: says so plainly instead of pretending. */
export function PlannedPage({ title, what }: { title: string; what: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <div className="empty-state">
        <p>{what}</p>
        <p className="muted">Not available in this build yet.</p>
      </div>
    </section>
  );
}
