namespace Ferry.Server.Runs;

/// <summary>ADF's run statuses, for pipeline runs and activity runs.</summary>
public static class RunStatus
{
    public const string Queued = "Queued";
    public const string InProgress = "InProgress";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string Cancelling = "Cancelling";
    public const string Cancelled = "Cancelled";
    public const string Skipped = "Skipped";

    public static bool IsFinal(string status) => status is Succeeded or Failed or Cancelled or Skipped;
}
