using System.Globalization;

namespace Ferry.Contracts.Hosting;

/// <summary>
/// Every Ferry process formats and parses numbers and dates the same way whatever the host's locale (LANG, regional
/// settings): ICU is loaded so a copy's typeConversionSettings.culture can be honoured, but only where it is asked for.
/// </summary>
public static class InvariantCulture
{
    public static void Apply()
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
    }
}
