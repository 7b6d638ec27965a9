namespace Ferry.Node.Jobs;

/// <summary>How many jobs this node runs now and may run (the concurrent jobs limit the server sets with each heartbeat answer).</summary>
public sealed class JobSlots
{
    private int _running;

    /// <summary>0 until the first heartbeat answer: no work is taken before the server has said how much.</summary>
    public int Limit { get; set; }

    public int Running => Volatile.Read(ref _running);

    public int Free => Math.Max(0, Limit - Running);

    public void Enter() => Interlocked.Increment(ref _running);

    public void Exit() => Interlocked.Decrement(ref _running);
}
