namespace Ferry.Node.Diagnostics;

/// <summary>The outcomes of one check of dmgcmd -Diagnose.</summary>
public static class CheckStatus
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    /// <summary>Works now, but is a risk the reference's table names (no start at boot, a single node, an update available).</summary>
    public const string Warn = "warn";
    /// <summary>Could not be checked because an earlier check failed or does not apply.</summary>
    public const string Skip = "skip";
}

/// <summary>One check: what was looked at, what was seen, and, when it did not pass, what to do.</summary>
public sealed record DiagnosticCheck(string Name, string Status, string Evidence, string? Fix = null);

/// <summary>Every check in the reference's order; <see cref="Passed"/> when none failed (warnings do not fail it).</summary>
public sealed record DiagnosisReport(string DataDir, bool Passed, string? FirstFailure, IReadOnlyList<DiagnosticCheck> Checks);
