namespace EdgeCompress.Sensors.Tests;

public class Ina219Tests
{
    [Fact]
    public void Calibrating_for_a_0_1_ohm_shunt_with_a_20_microamp_lsb_writes_20480()
    {
        var chip = new SimulatedIna219();
        using var ina = new Ina219(chip);

        ina.CalibrateWithCurrentLsb(shuntOhms: 0.1, currentLsbAmperes: 20e-6);

        Assert.Equal(20480, chip[Ina219Register.Calibration]);
        Assert.Equal(20480, ina.CalibrationValue);
    }

    [Fact]
    public void Calibrating_from_max_current_uses_max_over_2_pow_15_as_the_lsb()
    {
        var chip = new SimulatedIna219();
        using var ina = new Ina219(chip);

        ina.Calibrate(shuntOhms: 0.1, maxExpectedCurrentAmperes: 3.2);

        Assert.Equal(3.2 / 32768, ina.CurrentLsbAmperes, 12);
        Assert.Equal(4194, chip[Ina219Register.Calibration]); // trunc(0.04096 / (97.66e-6 * 0.1)) = 4194
    }

    [Fact]
    public void Worked_example_12_V_bus_and_32_mV_across_0_1_ohm_reads_0_32_A_and_3_84_W()
    {
        var chip = new SimulatedIna219();
        using var ina = new Ina219(chip);
        ina.CalibrateWithCurrentLsb(0.1, 20e-6);

        chip.Apply(shuntVolts: 0.032, busVolts: 12.0);

        Assert.Equal(0x0C80, chip[Ina219Register.ShuntVoltage]); // 3200 × 10 µV
        Assert.Equal(16000, chip[Ina219Register.Current]);       // 3200 × 20480 / 4096
        Assert.Equal(9600, chip[Ina219Register.Power]);          // 16000 × 3000 / 5000
        Assert.Equal(0.032, ina.ReadShuntVolts(), 6);
        Assert.Equal(12.0, ina.ReadBusVolts(), 6);
        Assert.Equal(0.32, ina.ReadCurrentAmperes(), 6);
        Assert.Equal(3.84, ina.ReadPowerWatts(), 6);
        Assert.True(ina.TryReadPowerWatts(out var watts, out var error), error);
        Assert.Equal(3.84, watts, 6);
    }

    [Fact]
    public void Negative_shunt_voltage_reads_as_negative_current()
    {
        var chip = new SimulatedIna219();
        using var ina = new Ina219(chip);
        ina.CalibrateWithCurrentLsb(0.1, 20e-6);

        chip.Apply(shuntVolts: -0.010, busVolts: 5.0);

        Assert.Equal(-0.010, ina.ReadShuntVolts(), 6);
        Assert.Equal(-0.1, ina.ReadCurrentAmperes(), 6);
    }

    [Fact]
    public void Reset_restores_the_power_on_configuration_0x399F()
    {
        var chip = new SimulatedIna219();
        using var ina = new Ina219(chip);
        ina.BusVoltageRange = Ina219BusVoltageRange.Range16V;

        ina.Reset();

        Assert.Equal(0x399F, chip[Ina219Register.Configuration]);
        Assert.Equal(Ina219BusVoltageRange.Range32V, ina.BusVoltageRange);
        Assert.Equal(Ina219PgaSensitivity.PlusOrMinus320mV, ina.PgaSensitivity);
        Assert.Equal(Ina219AdcResolutionOrSamples.Adc12Bit, ina.BusAdcResolutionOrSamples);
        Assert.Equal(Ina219AdcResolutionOrSamples.Adc12Bit, ina.ShuntAdcResolutionOrSamples);
        Assert.Equal(Ina219OperatingMode.ShuntAndBusContinuous, ina.OperatingMode);
    }

    [Fact]
    public void Configuration_fields_land_in_their_datasheet_bits()
    {
        var chip = new SimulatedIna219();
        using var ina = new Ina219(chip);
        ina.Reset();

        ina.BusVoltageRange = Ina219BusVoltageRange.Range16V;
        ina.PgaSensitivity = Ina219PgaSensitivity.PlusOrMinus40mV;
        ina.BusAdcResolutionOrSamples = Ina219AdcResolutionOrSamples.Adc128Sample;
        ina.ShuntAdcResolutionOrSamples = Ina219AdcResolutionOrSamples.Adc9Bit;
        ina.OperatingMode = Ina219OperatingMode.ShuntContinuous;

        // 0 | 00 | 1111 | 0000 | 101
        Assert.Equal(0b0000_0111_1000_0101, chip[Ina219Register.Configuration]);
    }

    [Fact]
    public void Math_overflow_is_a_failed_read_not_a_plausible_figure()
    {
        var chip = new SimulatedIna219();
        using var ina = new Ina219(chip);
        ina.CalibrateWithCurrentLsb(0.1, 20e-6);
        chip.Apply(0.032, 12.0, overflow: true);

        Assert.False(ina.TryReadPowerWatts(out _, out var error));
        Assert.Contains("overflow", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chip_that_reset_itself_reports_lost_calibration_instead_of_0_W()
    {
        var chip = new SimulatedIna219();
        using var ina = new Ina219(chip);
        ina.CalibrateWithCurrentLsb(0.1, 20e-6);
        chip.PowerOn();
        chip.Apply(0.032, 12.0);

        Assert.False(ina.TryReadPowerWatts(out _, out var error));
        Assert.Contains("lost its calibration", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_I2C_error_is_a_failed_read_with_the_bus_message()
    {
        var chip = new SimulatedIna219();
        using var ina = new Ina219(chip);
        ina.CalibrateWithCurrentLsb(0.1, 20e-6);
        chip.FailReads = true;

        Assert.False(ina.TryReadPowerWatts(out _, out var error));
        Assert.Contains("Error 121", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_current_before_calibration_throws_a_clear_error()
    {
        using var ina = new Ina219(new SimulatedIna219());

        var ex = Assert.Throws<InvalidOperationException>(() => ina.ReadCurrentAmperes());
        Assert.Contains("Calibrate", ex.Message, StringComparison.Ordinal);
    }
}
