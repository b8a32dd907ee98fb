using System.Diagnostics;

namespace EdgeCompress.Fleet.Tests;

public sealed class FleetRunnerTests
{
    private static List<DeviceEntry> Devices(int count) =>
        Enumerable.Range(1, count).Select(i => new DeviceEntry { Name = $"pi{i}", Url = $"http://127.0.0.1:{9000 + i}" }).ToList();

    [Fact]
    public async Task A_hung_device_hits_its_deadline_while_the_others_finish_on_time()
    {
        var clock = Stopwatch.StartNew();
        // 50 ms of work against a 3 s deadline: wide enough that a loaded CI host (training tests beside it) never
        // pushes a healthy device past it, as a 0.6 s deadline once did.
        var outcomes = await FleetRunner.RunAsync(Devices(4), parallel: 4, deadline: TimeSpan.FromSeconds(3), async (device, ct) =>
        {
            await Task.Delay(device.Name == "pi3" ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(50), ct);
            return device.Name.Length;
        }, null, CancellationToken.None);

        Assert.InRange(clock.Elapsed.TotalSeconds, 2.9, 15);
        Assert.Equal(["pi1", "pi2", "pi3", "pi4"], outcomes.Select(o => o.Device.Name));
        Assert.Equal(3, outcomes.Count(o => o.Succeeded));
        var hung = Assert.Single(outcomes, o => !o.Succeeded);
        Assert.Equal(FleetProblem.Deadline, hung.Error!.Problem);
        Assert.Equal("pi3: not finished within the per-device deadline of 3 s (--deadline)", hung.Error.Message);
    }

    [Fact]
    public async Task No_more_than_the_parallel_limit_run_at_once()
    {
        var running = 0;
        var peak = 0;
        await FleetRunner.RunAsync(Devices(9), parallel: 3, deadline: TimeSpan.FromSeconds(30), async (device, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(40, ct);
            Interlocked.Decrement(ref running);
            return 0;
        }, null, CancellationToken.None);

        Assert.Equal(3, peak);
    }

    [Fact]
    public async Task A_failing_device_is_recorded_with_its_message_and_the_rest_still_run()
    {
        var outcomes = await FleetRunner.RunAsync(Devices(3), parallel: 1, deadline: TimeSpan.FromSeconds(30), (device, _) =>
            device.Name == "pi1"
                ? throw new FleetException(FleetProblem.Unreachable, "device 'pi1' unreachable: cannot connect")
                : Task.FromResult(1), null, CancellationToken.None);

        Assert.Equal("device 'pi1' unreachable: cannot connect", outcomes[0].Error!.Message);
        Assert.True(outcomes[1].Succeeded && outcomes[2].Succeeded);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
