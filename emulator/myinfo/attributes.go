package myinfo

// seedAttributes lists the Myinfo v3 person attributes named in the v3 API
// specification (the Person API's example response). Authorise accepts these
// and any attribute that appears in a configured persona.
var seedAttributes = [...]string{
	"partialuinfin", "uinfin", "name", "hanyupinyinname", "aliasname",
	"hanyupinyinaliasname", "marriedname", "sex", "race", "secondaryrace",
	"dialect", "nationality", "dob", "birthcountry", "residentialstatus",
	"passportnumber", "passportexpirydate", "regadd", "housingtype", "hdbtype",
	"hdbownership", "ownerprivate", "email", "mobileno", "marital",
	"marriagecertno", "countryofmarriage", "marriagedate", "divorcedate",
	"childrenbirthrecords", "sponsoredchildrenrecords", "occupation",
	"employment", "passtype", "passstatus", "passexpirydate",
	"employmentsector", "vehicles", "drivinglicence", "academicqualifications",
	"merdekagen", "pioneergen", "noa-basic", "noa", "noahistory-basic",
	"noahistory", "cpfcontributions", "cpfemployers", "cpfbalances",
	"cpfhousingwithdrawal", "cpfhomeprotectionscheme",
	"cpfdependantprotectionscheme", "cpfinvestmentscheme",
}
