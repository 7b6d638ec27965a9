namespace Ferry.Contracts.Problems;

/// <summary>An error as the API returns it (application/problem+json): a stable code and a message saying what to do.</summary>
public sealed record Problem(string Code, string Title, int Status, string Detail);
