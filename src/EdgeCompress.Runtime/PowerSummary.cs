using EdgeCompress.Protocol;
using EdgeCompress.Sensors;

namespace EdgeCompress.Runtime;

/// <summary>Turns a sampler's trace into the power part of a result, or into a reason when it has nothing usable.</summary>
internal static class PowerSummary
{
    public static void Fill(PowerResult power, PowerSampler sampler, IReadOnlyList<PowerSample> samples,
        (TimeSpan From, TimeSpan To) idle, (TimeSpan From, TimeSpan To) window, int inferences)
    {
        power.SampleCount = PowerWindow.CountInside(samples, window.From, window.To);
        if (samples.Count == 0 || power.SampleCount == 0)
        {
            power.Available = false;
            power.Unavailable = samples.Count == 0
                ? $"sensor {sampler.Sensor.Name} gave no readings ({sampler.FailureCount} failed: {sampler.LastError ?? "no error text"})"
                : $"measured window ({(window.To - window.From).TotalMilliseconds:0.#} ms) was shorter than one sampling period; run longer";
            return;
        }

        if (idle.To > idle.From && PowerWindow.TryMeanWatts(samples, idle.From, idle.To, out var idleWatts))
        {
            power.IdleWatts = idleWatts;
        }

        PowerWindow.TryIntegrateJoules(samples, window.From, window.To, out var joules);
        var seconds = (window.To - window.From).TotalSeconds;
        power.Available = true;
        power.MeanWatts = joules / seconds;
        power.EnergyMillijoules = joules * 1000;
        power.EnergyPerInferenceMillijoules = inferences > 0 ? joules * 1000 / inferences : null;
        power.SampleRateHz = power.SampleCount / seconds;
        if (sampler.FailureCount > 0)
        {
            power.Unavailable = $"{sampler.FailureCount} reads failed during the run (last: {sampler.LastError})";
        }
    }
}
