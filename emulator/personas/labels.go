package personas

// ItemLabel is how the consent pages of Myinfo and Singpass name a Myinfo
// data item ("regadd" is "Registered address"); an item without a label
// here is shown by its name.
func ItemLabel(item string) string {
	switch item {
	case "uinfin":
		return "NRIC/FIN"
	case "partialuinfin":
		return "Partial NRIC/FIN"
	case "name":
		return "Name"
	case "aliasname":
		return "Alias name"
	case "hanyupinyinname":
		return "Hanyu Pinyin name"
	case "marriedname":
		return "Married name"
	case "sex":
		return "Sex"
	case "race":
		return "Race"
	case "dob":
		return "Date of birth"
	case "birthcountry":
		return "Country of birth"
	case "nationality":
		return "Nationality"
	case "residentialstatus":
		return "Residential status"
	case "regadd":
		return "Registered address"
	case "email":
		return "Email"
	case "mobileno":
		return "Mobile number"
	case "marital":
		return "Marital status"
	case "occupation":
		return "Occupation"
	case "housingtype", "hdbtype":
		return "Housing type"
	case "passtype":
		return "Pass type"
	case "noa-basic", "noa":
		return "Notice of assessment"
	case "cpfcontributions":
		return "CPF contributions"
	case "user.identity":
		return "Your identity (NRIC/FIN)"
	}
	return item
}
