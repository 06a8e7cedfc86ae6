package dev.sluice.admission;

import dev.sluice.config.Cidr;
import java.net.InetAddress;
import java.util.List;

/**
 * Who may use one side of the hub (subscribe or publish): an address in a deny network is
 * refused; when allow networks are set, only addresses in one of them are let in. Deny wins.
 */
record AddressRule(List<Cidr> allow, List<Cidr> deny) {

    static AddressRule of(List<String> allow, List<String> deny) {
        return new AddressRule(Cidr.parseAll(allow), Cidr.parseAll(deny));
    }

    boolean permits(InetAddress address) {
        if (Cidr.anyContains(deny, address)) {
            return false;
        }
        return allow.isEmpty() || Cidr.anyContains(allow, address);
    }
}
