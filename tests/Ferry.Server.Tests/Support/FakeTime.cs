namespace Ferry.Server.Tests.Support;

/// <summary>A clock the test moves by hand.</summary>
public sealed class FakeTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public FakeTime() : this(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero)) { }

    public override DateTimeOffset GetUtcNow() => _now;
    public void Advance(TimeSpan by) => _now += by;
}
