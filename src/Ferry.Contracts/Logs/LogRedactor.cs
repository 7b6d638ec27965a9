using System.Text.RegularExpressions;

namespace Ferry.Contracts.Logs;

/// <summary>
/// Takes secrets out of log text before it leaves a node (dmgcmd -SendLogs) and again when the server stores it:
/// values of password, pwd, secret, token, key and credential settings (connection strings, JSON, headers), bearer
/// tokens, node signatures and Ferry authentication keys. What it removes becomes "***".
/// </summary>
public static partial class LogRedactor
{
    public const string Mask = "***";

    public static string Redact(string text)
    {
        text = SettingValue().Replace(text, m => m.Groups["name"].Value + m.Groups["sep"].Value + Mask);
        text = JsonValue().Replace(text, m => m.Groups["name"].Value + m.Groups["sep"].Value + "\"" + Mask + "\"");
        text = Bearer().Replace(text, m => m.Groups["scheme"].Value + " " + Mask);
        return AuthKey().Replace(text, Mask);
    }

    // password=x; Pwd = x, token: x (connection strings, headers, command lines)
    [GeneratedRegex(@"(?<name>\b(?:password|passwd|pwd|secret|token|apikey|api_key|accesskey|access_key|credential|sas)\b)(?<sep>\s*[=:]\s*)(?!\s*"")[^;,\s""]+",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SettingValue();

    // "password": "x" (JSON)
    [GeneratedRegex(@"(?<name>""(?:password|passwd|pwd|secret|token|apiKey|accessKey|credential|connectionString|sasToken|privateKey)"")(?<sep>\s*:\s*)""(?:[^""\\]|\\.)*""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex JsonValue();

    [GeneratedRegex(@"(?<scheme>\b(?:Bearer|Basic|FerryNode))\s+[A-Za-z0-9\-._~+/=,:;]+", RegexOptions.CultureInvariant)]
    private static partial Regex Bearer();

    // Ferry authentication keys (IR@ferry1@<length>@<body>)
    [GeneratedRegex(@"\bIR@ferry1@\d+@[A-Za-z0-9\-_=+/.]+", RegexOptions.CultureInvariant)]
    private static partial Regex AuthKey();
}
