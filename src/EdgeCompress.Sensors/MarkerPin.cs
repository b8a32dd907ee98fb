using System.Device.Gpio;

namespace EdgeCompress.Sensors;

/// <summary>
/// A GPIO output held high exactly while a measured window runs, so an external power meter (Otii, Joulescope)
/// can cut its trace to the same window. The controller is injected (a GpioDriver in tests).
/// </summary>
public sealed class MarkerPin : IDisposable
{
    private readonly GpioController _controller;
    private readonly bool _shouldDispose;

    /// <summary>Opens <paramref name="pin"/> as an output driven low.</summary>
    public MarkerPin(GpioController controller, int pin, bool shouldDispose = true)
    {
        ArgumentNullException.ThrowIfNull(controller);
        _controller = controller;
        _shouldDispose = shouldDispose;
        Pin = pin;
        _controller.OpenPin(pin, PinMode.Output, PinValue.Low);
    }

    /// <summary>The pin number (controller's numbering).</summary>
    public int Pin { get; }

    /// <summary>Drives the pin high for the measured window; disposing the returned scope drives it low again.</summary>
    public Window Raise()
    {
        _controller.Write(Pin, PinValue.High);
        return new Window(this);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_controller.IsPinOpen(Pin))
        {
            _controller.Write(Pin, PinValue.Low);
            _controller.ClosePin(Pin);
        }

        if (_shouldDispose)
        {
            _controller.Dispose();
        }
    }

    /// <summary>A raised marker; lowers the pin when disposed, on every path out of the measured window.</summary>
    public readonly struct Window : IDisposable
    {
        private readonly MarkerPin? _owner;

        internal Window(MarkerPin owner) => _owner = owner;

        /// <inheritdoc />
        public void Dispose() => _owner?._controller.Write(_owner.Pin, PinValue.Low);
    }
}
