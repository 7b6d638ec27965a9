namespace Ferry.Contracts.Keys;

/// <summary>Why a piece of text is not a usable authentication key.</summary>
public enum AuthKeyDefect
{
    NotAFerryKey,
    Truncated,
    Garbled,
}

/// <summary>Thrown when an authentication key cannot be read; the message tells the user which defect it has.</summary>
public sealed class AuthKeyFormatException(AuthKeyDefect defect, string message) : FormatException(message)
{
    public AuthKeyDefect Defect { get; } = defect;
}
