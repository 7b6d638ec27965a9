namespace Ferry.Contracts.Names;

/// <summary>Azure Data Factory's naming rules for factories and integration runtimes, with the rule a bad name broke.</summary>
public static class ResourceName
{
    public const int MinLength = 3;
    public const int MaxLength = 63;
    private const string Forbidden = "<>*#.%&:\\+?/";
    private static readonly System.Buffers.SearchValues<char> ForbiddenInObjectNames = System.Buffers.SearchValues.Create(Forbidden);

    /// <summary>Returns null when <paramref name="name"/> is valid, else a sentence naming the broken rule.</summary>
    public static string? Validate(string? name, string what = "name")
    {
        if (string.IsNullOrEmpty(name))
            return $"The {what} is empty: give {MinLength}-{MaxLength} letters, digits or hyphens.";
        if (name.Length < MinLength || name.Length > MaxLength)
            return $"The {what} '{name}' has {name.Length} characters; it must have {MinLength} to {MaxLength}.";
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
                return $"The {what} '{name}' contains '{c}'; only letters, digits and hyphens are allowed.";
        }
        if (!char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1]))
            return $"The {what} '{name}' must start and end with a letter or a digit.";
        return null;
    }

    /// <summary>Node names are machine names in the reference: up to 150 letters, digits, '-', '_' or '.'.</summary>
    public static string? ValidateNodeName(string? name)
    {
        if (string.IsNullOrEmpty(name))
            return "The node name is empty: give 1-150 letters, digits, '-', '_' or '.'.";
        if (name.Length > 150)
            return $"The node name has {name.Length} characters; it may have at most 150.";
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                return $"The node name '{name}' contains '{c}'; only letters, digits, '-', '_' and '.' are allowed.";
        }
        return null;
    }

    /// <summary>
    /// ADF's rule for linked service, dataset and pipeline names: 1-260 characters, starting with a letter, digit or
    /// underscore, and none of &lt; &gt; * # . % &amp; : \ + ? /.
    /// </summary>
    public static string? ValidateObjectName(string? name, string what)
    {
        if (string.IsNullOrEmpty(name))
            return $"The {what} is empty: give 1-260 characters starting with a letter, digit or underscore.";
        if (name.Length > 260)
            return $"The {what} has {name.Length} characters; it may have at most 260.";
        if (!(char.IsAsciiLetterOrDigit(name[0]) || name[0] == '_'))
            return $"The {what} '{name}' must start with a letter, a digit or an underscore.";
        var bad = name.AsSpan().IndexOfAny(ForbiddenInObjectNames);
        if (bad >= 0)
            return $"The {what} '{name}' contains '{name[bad]}'; names may not contain any of {Forbidden}.";
        return null;
    }
}
