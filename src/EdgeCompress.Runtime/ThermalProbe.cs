using System.Globalization;
using EdgeCompress.Protocol;
using EdgeCompress.Sensors;

namespace EdgeCompress.Runtime;

/// <summary>Reads temperature and throttling before and after a run.</summary>
internal static class ThermalProbe
{
    public static ThermalResult Before(BenchmarkEnvironment environment)
    {
        var result = new ThermalResult();
        if (environment.Thermal is null)
        {
            result.Unavailable = "no thermal zones";
        }
        else if (environment.Thermal.TryReadMaxCelsius(out var celsius, out var error))
        {
            result.TemperatureBeforeCelsius = celsius;
        }
        else
        {
            result.Unavailable = error;
        }

        if (environment.Throttling is not null && environment.Throttling.TryRead(out var flags, out _))
        {
            result.ThrottledBefore = Hex(flags);
        }

        return result;
    }

    public static ThermalResult After(BenchmarkEnvironment environment, ThermalResult before)
    {
        if (environment.Thermal is not null && environment.Thermal.TryReadMaxCelsius(out var celsius, out _))
        {
            before.TemperatureAfterCelsius = celsius;
        }

        if (environment.Throttling is not null && environment.Throttling.TryRead(out var flags, out _))
        {
            before.ThrottledAfter = Hex(flags);
            before.ThrottlingFlagsAfter = PiThrottling.Describe(flags);
        }

        return before;
    }

    private static string Hex(uint flags) => "0x" + flags.ToString("x", CultureInfo.InvariantCulture);
}
