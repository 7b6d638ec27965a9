using Ferry.Contracts.Problems;
using Ferry.Server.Errors;

namespace Ferry.Server.Store;

/// <summary>The one check every factory-scoped call starts with.</summary>
public static class FactoryCheck
{
    public static async Task RequireFactoryAsync(this IFerryStore store, string factory, CancellationToken ct)
    {
        if (!await store.FactoryExistsAsync(factory, ct))
            throw FerryException.NotFound(ErrorCodes.FactoryNotFound, $"Factory '{factory}' does not exist. The server creates 'default' on first start.");
    }
}
