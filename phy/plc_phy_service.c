#include "plc_phy_service.h"

#include "plc_ofdm.h"


int plc_phy_rx_ind_from_frame(const plc_rx_frame *f, plc_phy_rx_ind *ind, uint64_t *end_sample)
{
    if (!f->header_ok || f->status == PLC_RX_TRUNCATED)
        return 0;
    const int ack = plc_fch_is_ack(&f->fch);
    const int ok = f->status == PLC_RX_OK || ack;
    *end_sample = f->offset + plc_ofdm_frame_samples(PLC_PHY_FCH_SYMBOLS + (ack ? 0 : 4u * f->fch.fl));
    *ind = (plc_phy_rx_ind){
        .status = ok ? PLC_PHY_RX_OK : PLC_PHY_RX_PAYLOAD_FAILED,
        .dt = f->fch.dt,
        .ack_fcs = f->fch.fcs,
        .mod = (plc_modulation)f->fch.mod,
        .tonemap = f->fch.tm,
        .psdu = ok ? f->psdu : NULL,
        .psdu_len = ok ? f->psdu_len : 0,
        .rs_corrected = f->rs_corrected,
        .snr_db = f->snr_db,
        .carrier_snr_db = f->carrier_snr_db,
        .lqi = f->lqi,
    };
    return 1;
}
