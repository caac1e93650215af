// A SoapySDR device for tests, "driver=plcstack_loopback": what is transmitted comes back
// in the receive stream at the time it was sent for, plus complex noise, in real time
// (steady clock). Devices opened with the same "line=NAME" share one line: each hears what
// all of them send (two stacks in one process talking over "the air"). SoapySDR hands out
// one device per distinct argument set: give each device on a line its own (node=a, ...). It keeps hardware time like a USRP (args: time=0 for a device without,
// like a HackRF), refuses nothing, reports late bursts through readStreamStatus and
// overflows when the host reads more than 0.25 s behind. SoapySDR's driver interface is
// C++ only, hence the one C++ file in the project; it is loaded by tests/test_soapy.c.
#include <SoapySDR/Device.hpp>
#include <SoapySDR/Formats.hpp>
#include <SoapySDR/Registry.hpp>

#include <chrono>
#include <complex>
#include <map>
#include <memory>
#include <random>
#include <thread>
#include <vector>

namespace {

const char *const DRIVER = "plcstack_loopback";

// The line: a ring of samples tagged with their index (a slot of another lap reads as 0),
// with the clock every device on it counts from.
struct Line {
    static const long long RING = 1 << 23; // 4 s at 2 MS/s
    struct Slot {
        long long index = -1;
        std::complex<float> v;
    };
    std::vector<Slot> ring = std::vector<Slot>(RING);
    std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();

    std::complex<float> at(long long i) const
    {
        const Slot &s = ring[i & (RING - 1)];
        return s.index == i ? s.v : std::complex<float>(0.0f, 0.0f);
    }
    void add(long long i, std::complex<float> v)
    {
        Slot &s = ring[i & (RING - 1)];
        if (s.index != i)
            s = Slot{i, v};
        else
            s.v += v;
    }
};

std::shared_ptr<Line> line_named(const SoapySDR::Kwargs &args)
{
    static std::map<std::string, std::weak_ptr<Line>> lines;
    if (!args.count("line"))
        return std::make_shared<Line>();
    std::shared_ptr<Line> l = lines[args.at("line")].lock();
    if (!l) {
        l = std::make_shared<Line>();
        lines[args.at("line")] = l;
    }
    return l;
}

class Loopback : public SoapySDR::Device {
public:
    explicit Loopback(const SoapySDR::Kwargs &args)
        : timed_(!args.count("time") || args.at("time") != "0"),
          noise_(args.count("noise") ? std::stof(args.at("noise")) : 1e-3f),
          line_(line_named(args)), gauss_(0.0f, 1.0f)
    {
    }

    std::string getDriverKey() const override { return DRIVER; }
    std::string getHardwareKey() const override { return DRIVER; }
    size_t getNumChannels(const int) const override { return 1; }
    std::vector<std::string> getStreamFormats(const int, const size_t) const override
    {
        return {SOAPY_SDR_CF32};
    }
    void setSampleRate(const int, const size_t, const double rate) override { rate_ = rate; }
    double getSampleRate(const int, const size_t) const override { return rate_; }
    void setFrequency(const int, const size_t, const double f, const SoapySDR::Kwargs &) override
    {
        freq_ = f;
    }
    double getFrequency(const int, const size_t) const override { return freq_; }
    void setGain(const int, const size_t, const double) override {}
    bool hasHardwareTime(const std::string &) const override { return timed_; }
    long long getHardwareTime(const std::string &) const override { return ns(now()); }

    SoapySDR::Stream *setupStream(const int direction, const std::string &format,
                                  const std::vector<size_t> &, const SoapySDR::Kwargs &) override
    {
        if (format != SOAPY_SDR_CF32)
            throw std::runtime_error("plcstack_loopback: CF32 only");
        return reinterpret_cast<SoapySDR::Stream *>(direction == SOAPY_SDR_RX ? &rx_ : &tx_);
    }
    void closeStream(SoapySDR::Stream *) override {}
    int activateStream(SoapySDR::Stream *s, const int, const long long, const size_t) override
    {
        if (s == reinterpret_cast<SoapySDR::Stream *>(&rx_)) {
            rx_active_ = true;
            rx_next_ = now();
        }
        return 0;
    }
    int deactivateStream(SoapySDR::Stream *s, const int, const long long) override
    {
        if (s == reinterpret_cast<SoapySDR::Stream *>(&rx_))
            rx_active_ = false;
        return 0;
    }

    int readStream(SoapySDR::Stream *, void *const *buffs, const size_t max, int &flags,
                   long long &timeNs, const long timeoutUs) override
    {
        if (!rx_active_)
            return SOAPY_SDR_TIMEOUT;
        long long avail = now() - rx_next_;
        if (avail > (long long)(rate_ / 4)) { // the host fell behind: drop what it missed
            rx_next_ = now();
            return SOAPY_SDR_OVERFLOW;
        }
        if (avail <= 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(timeoutUs));
            avail = now() - rx_next_;
            if (avail <= 0)
                return SOAPY_SDR_TIMEOUT;
        }
        const size_t n = std::min((size_t)avail, max);
        auto *out = static_cast<std::complex<float> *>(buffs[0]);
        for (size_t k = 0; k < n; k++)
            out[k] = line_->at(rx_next_ + (long long)k) +
                     noise_ * std::complex<float>(gauss_(rng_), gauss_(rng_));
        flags = timed_ ? SOAPY_SDR_HAS_TIME : 0;
        timeNs = timed_ ? ns(rx_next_) : 0;
        rx_next_ += (long long)n;
        return (int)n;
    }

    int writeStream(SoapySDR::Stream *, const void *const *buffs, const size_t n, int &flags,
                    const long long timeNs, const long) override
    {
        const long long t = now();
        if (!in_burst_) {
            in_burst_ = true;
            burst_at_ = timed_ && (flags & SOAPY_SDR_HAS_TIME) ? index(timeNs)
                                                                : std::max(t + (long long)(rate_ / 1000), tx_free_);
            late_ = burst_at_ < t;
            if (late_)
                status_.push_back({SOAPY_SDR_TIME_ERROR, timeNs});
            if (burst_at_ - t > Line::RING / 2)
                return SOAPY_SDR_STREAM_ERROR; // too far ahead for the line buffer
        }
        const auto *in = static_cast<const std::complex<float> *>(buffs[0]);
        if (!late_)
            for (size_t k = 0; k < n; k++) // transmissions add up, as on a line
                line_->add(burst_at_ + (long long)k, in[k]);
        burst_at_ += (long long)n;
        if (flags & SOAPY_SDR_END_BURST) {
            in_burst_ = false;
            tx_free_ = burst_at_;
        }
        return (int)n;
    }

    int readStreamStatus(SoapySDR::Stream *s, size_t &mask, int &flags, long long &timeNs,
                         const long) override
    {
        if (s != reinterpret_cast<SoapySDR::Stream *>(&tx_) || status_.empty())
            return SOAPY_SDR_TIMEOUT;
        const Status st = status_.front();
        status_.erase(status_.begin());
        mask = 1;
        flags = SOAPY_SDR_HAS_TIME;
        timeNs = st.time;
        return st.code;
    }

private:
    struct Status {
        int code;
        long long time;
    };

    long long now() const
    {
        const auto d = std::chrono::steady_clock::now() - line_->epoch;
        return (long long)(std::chrono::duration<double>(d).count() * rate_);
    }
    long long ns(long long i) const { return (long long)((double)i / rate_ * 1e9); }
    long long index(long long t) const { return (long long)std::llround((double)t * 1e-9 * rate_); }

    bool timed_;
    float noise_;
    std::shared_ptr<Line> line_;
    std::mt19937 rng_{7};
    std::normal_distribution<float> gauss_;
    double rate_ = 1e6, freq_ = 0;
    int rx_ = 0, tx_ = 0;
    bool rx_active_ = false, in_burst_ = false, late_ = false;
    long long rx_next_ = 0, burst_at_ = 0, tx_free_ = 0;
    std::vector<Status> status_;
};

SoapySDR::KwargsList find_loopback(const SoapySDR::Kwargs &args)
{
    // only when asked for by name: a search for "any device" must not find a test double
    if (!args.count("driver") || args.at("driver") != DRIVER)
        return {};
    SoapySDR::Kwargs k = args;
    k["label"] = "plcstack loopback (test device)";
    return {k};
}

SoapySDR::Device *make_loopback(const SoapySDR::Kwargs &args) { return new Loopback(args); }

SoapySDR::Registry registration(DRIVER, &find_loopback, &make_loopback, SOAPY_SDR_ABI_VERSION);

} // namespace
