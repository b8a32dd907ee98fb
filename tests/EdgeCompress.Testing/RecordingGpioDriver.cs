using System.Device.Gpio;

namespace EdgeCompress.Testing;

/// <summary>A GPIO driver that remembers pin modes and every value written, standing in for a board's chip.</summary>
public sealed class RecordingGpioDriver : GpioDriver
{
    public Dictionary<int, PinMode> Modes { get; } = [];

    public Dictionary<int, PinValue> Values { get; } = [];

    public List<PinValue> Writes { get; } = [];

    protected override int PinCount => 28;

    protected override void OpenPin(int pinNumber) => Values[pinNumber] = PinValue.Low;

    protected override void ClosePin(int pinNumber)
    {
        Modes.Remove(pinNumber);
        Values.Remove(pinNumber);
    }

    protected override void SetPinMode(int pinNumber, PinMode mode) => Modes[pinNumber] = mode;

    protected override PinMode GetPinMode(int pinNumber) => Modes[pinNumber];

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber) => Values[pinNumber];

    protected override void Write(int pinNumber, PinValue value)
    {
        Values[pinNumber] = value;
        Writes.Add(value);
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) =>
        throw new NotSupportedException();

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) =>
        throw new NotSupportedException();
}
