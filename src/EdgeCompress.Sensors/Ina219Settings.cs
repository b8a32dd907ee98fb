namespace EdgeCompress.Sensors;

/// <summary>INA219 register addresses (datasheet table 2); registers are 16-bit big-endian.</summary>
public enum Ina219Register : byte
{
    /// <summary>Configuration.</summary>
    Configuration = 0x00,

    /// <summary>Shunt voltage, signed, 10 µV/bit.</summary>
    ShuntVoltage = 0x01,

    /// <summary>Bus voltage, bits 15-3 at 4 mV/bit; bit 1 conversion ready, bit 0 math overflow.</summary>
    BusVoltage = 0x02,

    /// <summary>Power, LSB = 20 × current LSB.</summary>
    Power = 0x03,

    /// <summary>Current, LSB = current LSB.</summary>
    Current = 0x04,

    /// <summary>Calibration.</summary>
    Calibration = 0x05,
}

/// <summary>Bus voltage full-scale range (configuration bit 13).</summary>
public enum Ina219BusVoltageRange : ushort
{
    /// <summary>16 V full scale.</summary>
    Range16V = 0x0000,

    /// <summary>32 V full scale (reset default).</summary>
    Range32V = 0x2000,
}

/// <summary>Shunt programmable-gain range (configuration bits 12-11).</summary>
public enum Ina219PgaSensitivity : ushort
{
    /// <summary>±40 mV.</summary>
    PlusOrMinus40mV = 0x0000,

    /// <summary>±80 mV.</summary>
    PlusOrMinus80mV = 0x0800,

    /// <summary>±160 mV.</summary>
    PlusOrMinus160mV = 0x1000,

    /// <summary>±320 mV (reset default).</summary>
    PlusOrMinus320mV = 0x1800,
}

/// <summary>ADC resolution or averaging (4-bit field used for both bus bits 10-7 and shunt bits 6-3).</summary>
public enum Ina219AdcResolutionOrSamples : ushort
{
    /// <summary>9 bit, 84 µs.</summary>
    Adc9Bit = 0x0,

    /// <summary>10 bit, 148 µs.</summary>
    Adc10Bit = 0x1,

    /// <summary>11 bit, 276 µs.</summary>
    Adc11Bit = 0x2,

    /// <summary>12 bit, 532 µs (reset default).</summary>
    Adc12Bit = 0x3,

    /// <summary>2 samples averaged, 1.06 ms.</summary>
    Adc2Sample = 0x9,

    /// <summary>4 samples averaged, 2.13 ms.</summary>
    Adc4Sample = 0xA,

    /// <summary>8 samples averaged, 4.26 ms.</summary>
    Adc8Sample = 0xB,

    /// <summary>16 samples averaged, 8.51 ms.</summary>
    Adc16Sample = 0xC,

    /// <summary>32 samples averaged, 17.02 ms.</summary>
    Adc32Sample = 0xD,

    /// <summary>64 samples averaged, 34.05 ms.</summary>
    Adc64Sample = 0xE,

    /// <summary>128 samples averaged, 68.10 ms.</summary>
    Adc128Sample = 0xF,
}

/// <summary>Operating mode (configuration bits 2-0).</summary>
public enum Ina219OperatingMode : ushort
{
    /// <summary>Power down.</summary>
    PowerDown = 0x0,

    /// <summary>Shunt voltage, triggered.</summary>
    ShuntTriggered = 0x1,

    /// <summary>Bus voltage, triggered.</summary>
    BusTriggered = 0x2,

    /// <summary>Shunt and bus, triggered.</summary>
    ShuntAndBusTriggered = 0x3,

    /// <summary>ADC off.</summary>
    AdcOff = 0x4,

    /// <summary>Shunt voltage, continuous.</summary>
    ShuntContinuous = 0x5,

    /// <summary>Bus voltage, continuous.</summary>
    BusContinuous = 0x6,

    /// <summary>Shunt and bus, continuous (reset default).</summary>
    ShuntAndBusContinuous = 0x7,
}
